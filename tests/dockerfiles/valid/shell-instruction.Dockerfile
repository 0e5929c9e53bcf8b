FROM busybox
SHELL ["/bin/bash", "-euo", "pipefail", "-c"]
RUN echo uses bash
SHELL ["cmd", "/S", "/C"]
CMD echo shell form uses the new shell
