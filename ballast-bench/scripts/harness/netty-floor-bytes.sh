# As netty-floor.sh, as a TCP relay with no HTTP codec: what the transport alone costs.
source "$BENCH_DIR/targets/netty-floor.sh"
FLOOR_MODE=bytes
TARGET_DESC=${TARGET_DESC/(http)/(bytes)}
