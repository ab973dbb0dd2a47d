if state == 'released' then return result('unchanged') end
if not LIVE[state] then return illegal('release') end
move_counters(base, scopes_of(rkey, row.sc), 0, row.amount, true, row.vb)
redis.call('HSET', rkey, 'state', 'released', 'settled', I(now), 'overrun', '0')
redis.call('HDEL', rkey, 'actual', 'usage', unpack(NO_TOKENS))
retire(base, rkey, id, row, KEYS[2], KEYS[3], now, retention, false)
return result('changed')
