﻿FROM busybox
