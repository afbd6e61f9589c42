# hnbuild provision step: give this VM's subscription back to Red Hat. A
# failure here is reported as a warning; the clean step runs either way.
set -eu
subscription-manager unregister
