ARG TAG=3.19
FROM alpine:${TAG} AS Base
FROM --platform=$BUILDPLATFORM golang:1.22 as builder
FROM registry.example:5000/team/app@sha256:aa8ef8bb3bc9b0ebd3ccd24f2b9beaa9d8f0c3b3e3e9f7b0b8e0c8f7a6b5c4d3
FROM scratch
FROM builder AS final
