# vigil's image, from Debian bookworm's packages only (as the project builds):
#
#   docker build -t vigil:0.1.0 .
#   docker run --rm -v $PWD/config/examples:/etc/vigil:ro vigil:0.1.0 check-config /etc/vigil/quickstart.yaml
#
# The agent reads /etc/vigil/vigil.yaml; the Helm chart (charts/vigil) mounts it
# from a ConfigMap.

FROM debian:bookworm AS build
WORKDIR /src
# Only the script first: the dependency layer stays cached while sources change,
# and the package list lives in one place.
COPY scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DVIGIL_BUILD_TESTS=OFF \
    && cmake --build build \
    && strip build/agent/vigil

FROM debian:bookworm-slim
# The shared libraries build/agent/vigil links (ldd), by Debian package; libc6,
# libstdc++6 and libgcc-s1 are in the base image. tests/chart/chart_test.sh
# checks this list against the binary. ca-certificates: etcd over https.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libcurl4 \
        libfmt9 \
        libldns3 \
        libmicrohttpd12 \
        libprometheus-cpp-core1.0 \
        libre2-9 \
        libspdlog1.10 \
        libssl3 \
        libyaml-0-2 \
        libyaml-cpp0.7 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/agent/vigil /usr/local/bin/vigil
# The distroless "nonroot" id; the chart runs the pod as the same user.
USER 65532:65532
EXPOSE 9476
ENTRYPOINT ["vigil"]
CMD ["agent", "--config", "/etc/vigil/vigil.yaml"]
