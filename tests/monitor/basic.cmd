info version
info status
help
help info
help cont
help info registers
help nosuch
help info nosuch
info
info nosuch
nosuch
info registers
info registers -a
info cpus
info mtree
info qtree
info chardev
info jit
p $pc
print/d $priv
p/x $zero + $x0
p 1+2*3
p/o 8
p/u -1
p/c 'A'
p/c 10
p (1 << 63) >> 63
p 1/0
p 99999999999999999999
p $foo
p/i 1
x/4xw 0x1000
x/2xg 0x1000
x/8xb 0x1000
x/4dh 0x1000
x/3uw 0x1000
x/2ow 0x1000
x/8c 0x1000
x/s 0x1000
x/3i 0x1000
x
x/5
xp/4xw 0x1000
xp/2i 0x1000
x/4xw 0x0
xp/4xw 0x10000000
x/3q 0x1000
x/xx 0x1000
pmemsave 0x1000 32 @TMP@/rom.bin
memsave 0x1000 16 @TMP@/rom16.bin
memsave 0x1000 16 /nonexistent/dir/f
memsave 0x1000 16 /dev/full
x/2i 0x0
xp/8xw 0x87fffff0
x/3i 0x87fffffc
x/s 0x0
xp/2xg 0xffffffffffffffff
pmemsave 0x80000000 2G @TMP@/big
pmemsave 0x0 16 @TMP@/none
memsave 0x1000 4Q @TMP@/f
system_powerdown
errexit
echo a line with  two  spaces
sendkey nosuch
sendkey
sendkey ctrl-
expect "("
expect "x" 0
expect "x" 100000
expect -v "demo guest" 5
info status
type "abc"
sendkey ret
sendkey ctrl-c
expect -v "you typed: 'a'" 10
expect -v "you typed: 'c'" 10
expect -v 'you typed: .\?. \(0x0d\)' 10
expect -v "\(0x03\)\r\n" 10
expect -v "\x01\n" 1
expect -v "typed=\d+" 5
expect -v "nomatch-ever" 1
stop
info status
stop
info status
system_reset
p $pc
info status
c
info status
info tcg
help ?
help info jit
info history
q
p 1
