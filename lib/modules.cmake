# The module graph (docs/design.md section 2): NNC_USES_<module> lists the modules that
# <module> may include and link, bottom up, without cycles. Read by lib/CMakeLists.txt (the
# targets) and lib/layering.cmake (the include check).
set(NNC_MODULES nn dist data train device algo io cli)
set(NNC_USES_nn "")
set(NNC_USES_dist "")
set(NNC_USES_data nn)
set(NNC_USES_train nn dist data)
set(NNC_USES_device nn)
set(NNC_USES_algo nn dist data train device)
set(NNC_USES_io nn dist train device)
set(NNC_USES_cli nn dist data train device algo io)
