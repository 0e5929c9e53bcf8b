from busybox as First
Run echo mixed case
cOpY a b
Env k=v
workdir /w
