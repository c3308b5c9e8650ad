p (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1)))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))
p ((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((1
x/99999999999x 0
p 0x1ffffffffffffffff
"
'
\
ÿþ garbage
	p	7	
info registers -b
help help help help
c c
type "unterminated
type "bad\xZZ"
type "tail"junk
expect
expect "a" "b"
memsave
pmemsave 1 2
p -
p $
p 'ab'
info status
