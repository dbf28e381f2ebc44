from evrec._evrec import *  # noqa
