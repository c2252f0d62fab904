# Fuzzing and sanitizer builds (docs/fuzzing.md).
#   -DGREENTUNE_FUZZ=ON      libFuzzer targets with AddressSanitizer + UndefinedBehaviorSanitizer
#                            (clang only: CC=clang-14 CXX=clang++-14); every library is built
#                            with coverage instrumentation for them. scripts/fuzz.sh uses it.
#   -DGREENTUNE_SANITIZE=ON  everything (libraries, greentune, tests) with ASan + UBSan, any
#                            compiler; `scripts/test.sh --sanitize` builds it in build-asan.
# Without GREENTUNE_FUZZ the fuzz targets are still built, with a replay main
# (tests/fuzz/replay_main.cpp), so CI replays their seed corpora with any compiler (ctest -L fuzz).
option(GREENTUNE_FUZZ "Build the libFuzzer targets with ASan+UBSan (clang)" OFF)
option(GREENTUNE_SANITIZE "Build everything with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)

set(_gt_sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
if(GREENTUNE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "GREENTUNE_FUZZ needs clang (libFuzzer): configure with CC=clang-14 CXX=clang++-14")
  endif()
  add_compile_options(${_gt_sanitizers} -fsanitize=fuzzer-no-link)
  add_link_options(-fsanitize=address,undefined)
elseif(GREENTUNE_SANITIZE)
  add_compile_options(${_gt_sanitizers})
  add_link_options(-fsanitize=address,undefined)
endif()

# greentune_fuzz_target(NAME LIBS ...): executable greentune_fuzz_NAME from tests/fuzz/NAME.cpp
# and the ctest `fuzz.NAME` (label fuzz) that runs every input of tests/fuzz/corpus/NAME once.
function(greentune_fuzz_target name)
  cmake_parse_arguments(ARG "" "" "LIBS" ${ARGN})
  set(_target greentune_fuzz_${name})
  set(_corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${name})
  add_executable(${_target} ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}.cpp)
  target_link_libraries(${_target} PRIVATE ${ARG_LIBS})
  target_include_directories(${_target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/fuzz)
  # The targets of the torch readers reuse the torch area's precompiled header (as its tests;
  # -fPIC to match the header); the sanitizer builds have their own flags and parse libtorch.
  if(NOT GREENTUNE_FUZZ AND "greentune_torch" IN_LIST ARG_LIBS AND NOT CMAKE_DISABLE_PRECOMPILE_HEADERS)
    get_target_property(_pch greentune_torch PRECOMPILE_HEADERS)
    if(_pch)
      target_precompile_headers(${_target} REUSE_FROM greentune_torch)
      target_compile_options(${_target} PRIVATE -fPIC)
    endif()
  endif()
  if(GREENTUNE_FUZZ)
    target_link_options(${_target} PRIVATE -fsanitize=fuzzer)
    # -runs=0: run each corpus input once, then stop.
    add_test(NAME fuzz.${name} COMMAND ${_target} -runs=0 -rss_limit_mb=4096 ${_corpus})
  else()
    # One replay main compiled once for every target.
    if(NOT TARGET greentune_fuzz_replay)
      add_library(greentune_fuzz_replay OBJECT ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
    endif()
    target_link_libraries(${_target} PRIVATE greentune_fuzz_replay)
    add_test(NAME fuzz.${name} COMMAND ${_target} ${_corpus})
  endif()
  set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()

# Every parser of outside input (docs/fuzzing.md).
function(greentune_fuzz_targets)
  greentune_fuzz_target(runs_csv LIBS greentune_store)
  greentune_fuzz_target(study_toml LIBS greentune_study)
  greentune_fuzz_target(plan_json LIBS greentune_study)
  greentune_fuzz_target(task_result LIBS greentune_study)
  greentune_fuzz_target(train_result LIBS greentune_core)
  greentune_fuzz_target(pattern LIBS greentune_core)
  if(GREENTUNE_WITH_TORCH)
    set(_dl greentune_torch)
    if(GREENTUNE_FUZZ)
      # Only the readers, not the whole trainer: a small library of the two files that parse data.
      add_library(greentune_fuzz_datasets STATIC ${PROJECT_SOURCE_DIR}/src/torch/datasets.cpp
        ${PROJECT_SOURCE_DIR}/src/torch/market1501.cpp)
      target_link_libraries(greentune_fuzz_datasets PUBLIC greentune_core ${TORCH_LIBRARIES} ZLIB::ZLIB JPEG::JPEG)
      set(_dl greentune_fuzz_datasets)
    endif()
    greentune_fuzz_target(idx LIBS ${_dl})
    greentune_fuzz_target(cifar LIBS ${_dl})
    greentune_fuzz_target(jpeg LIBS ${_dl})
    greentune_fuzz_target(market_names LIBS ${_dl})
  endif()
  # Sanitizer build: the Python module (ASan-built) loads into Debian's plain interpreter only with
  # the ASan runtime preloaded; CPython's deliberate leaks at exit are not reported there.
  if(GREENTUNE_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libasan.so
      OUTPUT_VARIABLE _gt_libasan OUTPUT_STRIP_TRAILING_WHITESPACE)
    get_property(_gt_tests DIRECTORY PROPERTY TESTS)
    foreach(_t ${_gt_tests})
      if(_t MATCHES "^python\\.")
        set_property(TEST ${_t} APPEND PROPERTY ENVIRONMENT "LD_PRELOAD=${_gt_libasan}"
          "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
      endif()
    endforeach()
  endif()
endfunction()
