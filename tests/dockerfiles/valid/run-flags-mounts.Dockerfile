FROM golang AS deps
FROM golang
RUN --mount=type=cache,target=/root/.cache/go-build,id=gocache,sharing=locked go build ./...
RUN --mount=type=bind,from=deps,source=/go/pkg,target=/go/pkg,rw go test ./...
RUN --mount=type=secret,id=npmrc,target=/root/.npmrc,required npm ci
RUN --mount=type=ssh git clone git@example.com:org/repo.git
RUN --mount=type=tmpfs,target=/scratch,size=64m --mount=type=cache,target=/var/cache/apt,uid=0,gid=0,mode=0755 make
RUN --network=none --security=insecure ./offline-tests
RUN --network=host curl -fsS http://localhost:8080/health
RUN --device=nvidia.com/gpu=all,required nvidia-smi
RUN --mount="type=bind,source=a b,target=/x" ls /x
