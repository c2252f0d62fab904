# greentune_area(NAME [NO_UNITY] DEPS ...): library greentune_NAME from src/NAME/**/*.cpp (an
# INTERFACE library while the folder has no sources yet), public headers in include/.
# Compiled as unity batches when GREENTUNE_UNITY_BUILD, unless NO_UNITY.
function(greentune_area name)
  cmake_parse_arguments(ARG "NO_UNITY" "" "DEPS" ${ARGN})
  file(GLOB_RECURSE _srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${name}/*.cpp)
  if(_srcs)
    add_library(greentune_${name} STATIC ${_srcs})
    target_include_directories(greentune_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(greentune_${name} PUBLIC ${ARG_DEPS})
    target_compile_options(greentune_${name} PRIVATE -Wall -Wextra)
    if(GREENTUNE_UNITY_BUILD AND NOT ARG_NO_UNITY)
      set_target_properties(greentune_${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    endif()
  else()
    add_library(greentune_${name} INTERFACE)
    target_include_directories(greentune_${name} INTERFACE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(greentune_${name} INTERFACE ${ARG_DEPS})
  endif()
endfunction()

# greentune_tests(AREA LIBS ... [TIMEOUT S] [RESOURCE_LOCK NAME]): one GoogleTest executable per
# folder tests/AREA/*.cpp. Tests get GREENTUNE_SOURCE_DIR and GREENTUNE_BIN (path of the built
# executable). RESOURCE_LOCK: ctest never runs two tests holding the same NAME at once.
function(greentune_tests area)
  cmake_parse_arguments(ARG "" "TIMEOUT;RESOURCE_LOCK" "LIBS" ${ARGN})
  file(GLOB _srcs CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${area}/*.cpp)
  if(NOT _srcs)
    return()
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_executable(greentune_${area}_tests ${_srcs})
  target_link_libraries(greentune_${area}_tests PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main GTest::gmock)
  target_include_directories(greentune_${area}_tests PRIVATE ${PROJECT_SOURCE_DIR}/tests ${CLI11_INCLUDE_DIR})
  target_compile_definitions(greentune_${area}_tests PRIVATE
    GREENTUNE_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    GREENTUNE_BUILD_DIR="${PROJECT_BINARY_DIR}"
    GREENTUNE_BIN="$<TARGET_FILE:greentune>")
  add_dependencies(greentune_${area}_tests greentune)
  # Tests of a library with a precompiled header (the torch area: every test file includes
  # libtorch's headers) reuse that header instead of parsing libtorch's in each file.
  foreach(_lib ${ARG_LIBS})
    if(TARGET ${_lib} AND NOT CMAKE_DISABLE_PRECOMPILE_HEADERS)
      get_target_property(_pch ${_lib} PRECOMPILE_HEADERS)
      if(_pch)
        target_precompile_headers(greentune_${area}_tests REUSE_FROM ${_lib})
        # GCC uses a precompiled header only with the -fPIC it was made with (a static
        # library's), not an executable's -fPIE; -fPIC code links into an executable as well.
        target_compile_options(greentune_${area}_tests PRIVATE -fPIC)
        break()
      endif()
    endif()
  endforeach()
  set(_lock)
  if(ARG_RESOURCE_LOCK)
    set(_lock RESOURCE_LOCK ${ARG_RESOURCE_LOCK})
  endif()
  gtest_discover_tests(greentune_${area}_tests
    WORKING_DIRECTORY ${PROJECT_BINARY_DIR}
    PROPERTIES LABELS ${area} TIMEOUT ${ARG_TIMEOUT} ${_lock}
    DISCOVERY_TIMEOUT 60)
endfunction()
