# Runs after catch_discover_tests has registered the learning tests (they are discovered at
# build time, so their properties can only be set here).
set_tests_properties("learning.MAAC solves InvertedPendulum within 10k env steps"
                     "learning.MPC on the checkpoint of a small InvertedPendulum run keeps 1000"
                     PROPERTIES COST 10000 TIMEOUT 1800)
