FROM busybox
ADD https://example.com/archive.tar.gz /tmp/
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/file /file
ADD --keep-git-dir=true https://github.com/example/repo.git#v1.0 /src
ADD --unpack=false archive.tar.gz /archives/
ADD --link --chmod=755 --exclude=*.bak --exclude=tmp/ rootfs.tar /
