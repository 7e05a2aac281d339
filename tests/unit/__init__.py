"""Tests of gen_core and ui helpers without a page: maths, models, data, checkpoints, command lines."""
