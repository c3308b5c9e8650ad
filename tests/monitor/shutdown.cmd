expect -v "demo guest" 5
type "q"
expect -v "never-printed" 30
p 1
