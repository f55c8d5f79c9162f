"""Fixed seeds for the random sources a script leaves unseeded (see sitecustomize.py for the why).

A render must be a function of the script: a published answer re-rendered on another machine
should give the same clip, so that `audioprobe reproduce` can compare its numbers exactly.
Scripts that make noise usually draw from an unseeded generator, which CPython and numpy seed
from the operating system's entropy. Here each of those sources starts from a fixed seed
instead; a script that seeds a source itself still gets exactly what it asked for.

* `random`: the module's global generator is seeded once it is imported.
* `numpy.random`: the legacy global RandomState (np.random.rand, normal, ...) is seeded, and
  `default_rng()` with no seed gets the next of a fixed sequence of seeds, so two unseeded
  generators of one script still draw independent streams, as they would with OS entropy.
* pyo: every Server gets a fixed global seed (pyo's own mechanism; each random object derives
  its seed from it), which a script's own `setGlobalSeed` overrides.
"""

import itertools

SEED = 20250429  # any fixed number; recorded with the runtime (this file is part of its hash)


def seed_random(module):
    module.seed(SEED)


def seed_numpy(module):
    module.seed(SEED % 2**32)
    original = module.default_rng
    counter = itertools.count()

    def default_rng(seed=None):
        if seed is None:
            seed = [SEED, next(counter)]
        return original(seed)

    default_rng.__doc__ = original.__doc__
    module.default_rng = default_rng


def seed_pyo_server(server_cls):
    original_init = server_cls.__init__

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.setGlobalSeed(SEED)

    server_cls.__init__ = __init__
