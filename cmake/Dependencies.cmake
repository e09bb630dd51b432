# Every dependency is a Debian package found through pkg-config; each becomes
# an imported target PkgConfig::<name>.
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA   REQUIRED IMPORTED_TARGET rdkafka>=2.0)
pkg_check_modules(ROCKSDB   REQUIRED IMPORTED_TARGET rocksdb>=7.8)
pkg_check_modules(MHD       REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
pkg_check_modules(CURL      REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(CMOCKA    REQUIRED IMPORTED_TARGET cmocka)
pkg_check_modules(YYJSON    REQUIRED IMPORTED_TARGET yyjson>=0.8)
pkg_check_modules(CRYPTO    REQUIRED IMPORTED_TARGET libcrypto)
find_package(Threads REQUIRED)
find_library(MATH_LIBRARY m REQUIRED)
find_program(PROTOC_C NAMES protoc-c REQUIRED)
