import pytest


def test_the_redis_broker_sends_its_commands_through_one_client_per_channel():
    from kinetix.celery import RedisTransport, app

    with app.connection_for_write() as connection:
        if not isinstance(connection.transport, RedisTransport):
            pytest.skip("The broker is Redis only when REDIS_URL is set.")
        channel = connection.default_channel
        with channel.conn_or_acquire() as first, channel.conn_or_acquire() as second:
            assert first is second
        assert channel._size("kinetix-test-empty-queue") == 0  # a command goes through it
