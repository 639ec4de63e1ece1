"""The working-day calendar as data: admins enter each year's official arrangement (days off and make-up
working days, 放假调休) in the staff console; deadlines use the `holidays` package plus these entries."""
