# sluice_protobuf_c(<out-var> <proto files...>): generate C sources with
# protoc-c into the build tree at build time; nothing generated is committed.
function(sluice_protobuf_c out_var)
  set(outputs)
  foreach(proto ${ARGN})
    get_filename_component(abs ${proto} ABSOLUTE)
    get_filename_component(dir ${abs} DIRECTORY)
    get_filename_component(name ${abs} NAME_WE)
    set(c ${CMAKE_CURRENT_BINARY_DIR}/${name}.pb-c.c)
    set(h ${CMAKE_CURRENT_BINARY_DIR}/${name}.pb-c.h)
    add_custom_command(
      OUTPUT ${c} ${h}
      COMMAND ${PROTOC_C} --proto_path=${dir} --c_out=${CMAKE_CURRENT_BINARY_DIR} ${abs}
      DEPENDS ${abs}
      COMMENT "protoc-c ${name}.proto")
    list(APPEND outputs ${c})
  endforeach()
  set(${out_var} ${outputs} PARENT_SCOPE)
endfunction()
