"""The gateway's Django side: where its fixes are stored and its devices come from.

The gateway (``gps_gateway``) is handed a ``Storage`` at start (``gps_gateway.ports``); this package is
the one ``manage.py rungateway`` builds in each worker process (``storage.DjangoStorage``): the device
directory (``directory``), the batch writer and its one write lock (``writer``, ``lock``), the sealing of
fixes into ``Position`` rows (``encoder``), and what runs after each commit (``hooks``) or between
batches (the devices' status, ``status``; the officers' remove-tag alerts and the stats row, ``upkeep``).
"""
