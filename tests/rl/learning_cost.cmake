# Runs after catch_discover_tests has registered the learning test (it is discovered at
# build time, so its properties can only be set here).
set_tests_properties("learning.MAAC solves InvertedPendulum within 10k env steps" PROPERTIES COST 10000 TIMEOUT 1800)
