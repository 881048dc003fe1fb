# Humble's container image: a static binary on a small base. Not built on the
# development machines (no Docker engine there); kept correct by reading.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/humble ./cmd/humble

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/humble /usr/local/bin/humble
ENV HUMBLE_ADDR=0.0.0.0:8080
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/humble"]
CMD ["serve"]
