# The module graph (docs/design.md section 2): NNC_USES_<module> lists the modules that
# <module> may include and link, bottom up, without cycles. Read by lib/CMakeLists.txt (the
# targets) and lib/layering.cmake (the include check).
set(NNC_MODULES nn data train device algo io cli)
set(NNC_USES_nn "")
set(NNC_USES_data nn)
set(NNC_USES_train nn data)
set(NNC_USES_device nn data train)
set(NNC_USES_algo nn data train device)
set(NNC_USES_io nn train device)
set(NNC_USES_cli nn data train device algo io)
