FROM busybox
	  RUN	echo tabs and spaces   
   
	CMD    echo   kept   inside   
