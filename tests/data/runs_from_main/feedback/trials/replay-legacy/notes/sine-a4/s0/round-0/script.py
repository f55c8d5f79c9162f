import numpy as np
def broken(:
    pass
