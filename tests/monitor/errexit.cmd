errexit on
errexit
p 1
nosuch
p 2
