//! The key-value store on Redis, with the semantics of Spin's Redis backend where they meet the
//! component (keys as given, counters as `INCRBY` decimal strings, so a Spin deployment and
//! `runner serve` can share one database) and without its defect: `get-many` is one `MGET`.
//!
//! Connections: a small fixed pool of multiplexed [`ConnectionManager`]s, handed out in turn;
//! each pipelines many requests and reconnects by itself after a failure.

use std::sync::atomic::{AtomicUsize, Ordering};

use redis::aio::ConnectionManager;
use redis::{AsyncCommands as _, Script};

use super::sqlite::Swap;

/// Connections kept to the server.
const CONNECTIONS: usize = 4;

/// Sets the key only if it still holds what the caller saw (`ARGV[1]` is 1 when it saw a value,
/// `ARGV[2]`), answering 1, or 0 and the current value.
const COMPARE_AND_SWAP: &str = r"
local current = redis.call('GET', KEYS[1])
local saw_value = ARGV[1] == '1'
if (saw_value and current == ARGV[2]) or (not saw_value and current == false) then
  redis.call('SET', KEYS[1], ARGV[3])
  return {1}
end
if current == false then return {0} end
return {0, current}
";

pub struct RedisKv {
    url: String,
    pool: Vec<ConnectionManager>,
    next: AtomicUsize,
    swap: Script,
}

pub type RedisResult<T> = Result<T, redis::RedisError>;

impl RedisKv {
    /// Connects to `url` (`redis://host:port[/db]`) and checks the server answers.
    pub async fn connect(url: &str) -> anyhow::Result<RedisKv> {
        use anyhow::Context as _;
        let client =
            redis::Client::open(url).with_context(|| format!("{url} is not a Redis URL"))?;
        let mut pool = Vec::with_capacity(CONNECTIONS);
        for _ in 0..CONNECTIONS {
            let conn = client
                .get_connection_manager()
                .await
                .with_context(|| format!("cannot connect to Redis at {url}"))?;
            pool.push(conn);
        }
        let mut first = pool[0].clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut first)
            .await
            .with_context(|| format!("Redis at {url} does not answer PING"))?;
        Ok(RedisKv {
            url: url.to_owned(),
            pool,
            next: AtomicUsize::new(0),
            swap: Script::new(COMPARE_AND_SWAP),
        })
    }

    /// Where the store lives, for the log (without a password, should the URL carry one).
    pub fn describe(&self) -> String {
        match self.url.split_once('@') {
            Some((scheme_and_user, host)) => {
                let scheme = scheme_and_user.split("//").next().unwrap_or("redis:");
                format!("{scheme}//…@{host}")
            }
            None => self.url.clone(),
        }
    }

    fn conn(&self) -> ConnectionManager {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.pool.len();
        self.pool[i].clone()
    }

    pub async fn get(&self, key: &str) -> RedisResult<Option<Vec<u8>>> {
        self.conn().get(key).await
    }

    pub async fn set(&self, key: &str, value: &[u8]) -> RedisResult<()> {
        self.conn().set(key, value).await
    }

    pub async fn delete(&self, key: &str) -> RedisResult<()> {
        self.conn().del(key).await
    }

    pub async fn exists(&self, key: &str) -> RedisResult<bool> {
        self.conn().exists(key).await
    }

    /// Every key, by `SCAN` (never `KEYS`, which blocks the server).
    pub async fn list_keys(&self) -> RedisResult<Vec<String>> {
        let mut conn = self.conn();
        let mut cursor = 0u64;
        let mut keys = Vec::new();
        loop {
            let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut conn)
                .await?;
            keys.extend(batch);
            if next == 0 {
                return Ok(keys);
            }
            cursor = next;
        }
    }

    /// One `MGET`, answered in the order asked.
    pub async fn get_many(&self, keys: Vec<String>) -> RedisResult<Vec<(String, Option<Vec<u8>>)>> {
        let values: Vec<Option<Vec<u8>>> = redis::cmd("MGET")
            .arg(&keys)
            .query_async(&mut self.conn())
            .await?;
        Ok(keys.into_iter().zip(values).collect())
    }

    /// One `MSET`: all or nothing.
    pub async fn set_many(&self, entries: &[(String, Vec<u8>)]) -> RedisResult<()> {
        let mut cmd = redis::cmd("MSET");
        for (k, v) in entries {
            cmd.arg(k).arg(v.as_slice());
        }
        cmd.query_async(&mut self.conn()).await
    }

    pub async fn delete_many(&self, keys: &[String]) -> RedisResult<()> {
        self.conn().del(keys).await
    }

    /// `INCRBY`: atomic on the server; the value is stored as a decimal string.
    pub async fn increment(&self, key: &str, delta: i64) -> RedisResult<i64> {
        self.conn().incr(key, delta).await
    }

    pub async fn compare_and_swap(
        &self,
        key: &str,
        seen: Option<&[u8]>,
        value: &[u8],
    ) -> RedisResult<Swap> {
        let mut invocation = self.swap.key(key);
        invocation
            .arg(if seen.is_some() { "1" } else { "0" })
            .arg(seen.unwrap_or_default())
            .arg(value);
        let answer: Vec<redis::Value> = invocation.invoke_async(&mut self.conn()).await?;
        Ok(match answer.as_slice() {
            [redis::Value::Int(1)] => Swap::Done,
            [_, redis::Value::BulkString(now)] => Swap::Conflict(Some(now.clone())),
            _ => Swap::Conflict(None),
        })
    }
}
