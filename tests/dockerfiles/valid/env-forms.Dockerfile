FROM busybox
ENV A=1 B="two words" C='single quoted' D=escaped\ space
ENV EMPTY= E=""
ENV LEGACY value with   several spaces
ENV MULTI=first \
    SECOND=second
ENV PATH=$PATH:/opt/bin HOME_DIR=${HOME:-/root}
