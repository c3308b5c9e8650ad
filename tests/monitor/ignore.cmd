errexit ignore
p 1
nosuch
x/3q 0
p 2
