"""The REST API: endpoints per area, routes in ``urls``, and the helpers every endpoint shares
(``authentication``, ``errors``, ``pagination``, ``parsers``, ``schema``, ``serializers``)."""
