"""Custom widgets drawn with QPainter in the palette's colours: charts and the traffic light."""
