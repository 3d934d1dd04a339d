//! The blocking pool sheds load rather than queueing without bound, and answers by the
//! deadline. The clock is tokio's paused one: no test waits for real time.

use std::sync::{mpsc, Arc};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::IntoResponse;
use hallmark_http::{BlockingPool, PoolConfig, PoolError, Problem, OVERLOAD_AFTER};
use tokio::time::Instant;

fn pool(workers: usize, max_waiting: usize) -> BlockingPool {
    BlockingPool::new(PoolConfig {
        workers,
        max_waiting,
        queue_wait: Duration::from_secs(1),
        deadline: Duration::from_secs(5),
    })
}

/// Occupies one slot until the returned sender is dropped or sent to.
async fn occupy(pool: &BlockingPool) -> (mpsc::Sender<()>, tokio::task::JoinHandle<()>) {
    let (release, wait) = mpsc::channel::<()>();
    let (started_tx, started) = tokio::sync::oneshot::channel();
    let p = pool.clone();
    let handle = tokio::spawn(async move {
        let far = Instant::now() + Duration::from_secs(3600);
        p.run(far, move || {
            let _ = started_tx.send(());
            let _ = wait.recv();
        })
        .await
        .unwrap();
    });
    started.await.unwrap();
    (release, handle)
}

#[tokio::test]
async fn work_runs_and_returns_its_value() {
    let p = pool(2, 2);
    let v = p.run(p.deadline(), || 6 * 7).await.unwrap();
    assert_eq!(v, 42);
    assert!(matches!(
        p.run(p.deadline(), || panic!("boom")).await,
        Err(PoolError::Panicked)
    ));
}

#[tokio::test(start_paused = true)]
async fn a_full_pool_answers_busy_at_once_with_retry_after() {
    let p = pool(1, 0);
    let (release, running) = occupy(&p).await;
    let started = Instant::now();
    let e = p.run(p.deadline(), || ()).await.unwrap_err();
    assert!(matches!(e, PoolError::Busy), "{e:?}");
    assert_eq!(started.elapsed(), Duration::ZERO, "refused without waiting");
    let response = Problem::from(e).into_response();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    release.send(()).unwrap();
    running.await.unwrap();
    assert_eq!(p.run(p.deadline(), || 1).await.unwrap(), 1, "free again");
}

#[tokio::test(start_paused = true)]
async fn a_waiter_gets_a_slot_that_frees_or_busy_after_the_queue_wait() {
    let p = pool(1, 1);
    let (release, running) = occupy(&p).await;
    let started = Instant::now();
    let waiter = {
        let p = p.clone();
        tokio::spawn(async move { p.run(p.deadline(), || 7).await })
    };
    // The queue wait (1 s) passes on the paused clock (the running work stops it from
    // advancing by itself): busy.
    tokio::task::yield_now().await;
    tokio::time::advance(Duration::from_millis(1001)).await;
    assert!(matches!(waiter.await.unwrap(), Err(PoolError::Busy)));
    assert!(started.elapsed() >= Duration::from_secs(1));
    // A waiter whose slot frees in time runs.
    let waiter = {
        let p = p.clone();
        tokio::spawn(async move { p.run(p.deadline(), || 7).await })
    };
    tokio::task::yield_now().await;
    release.send(()).unwrap();
    running.await.unwrap();
    assert_eq!(waiter.await.unwrap().unwrap(), 7);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_answers_even_while_the_work_runs_on() {
    let p = pool(1, 0);
    let (release, wait) = mpsc::channel::<()>();
    let deadline = Instant::now() + Duration::from_secs(5);
    let caller = {
        let p = p.clone();
        tokio::spawn(async move {
            p.run(deadline, move || {
                let _ = wait.recv();
            })
            .await
        })
    };
    tokio::task::yield_now().await;
    tokio::time::advance(Duration::from_secs(6)).await;
    let e = caller.await.unwrap().unwrap_err();
    assert!(matches!(e, PoolError::Deadline(_)), "{e:?}");
    assert_eq!(
        Problem::from(e).into_response().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    // The abandoned work still holds its slot: the pool stays bounded.
    assert!(matches!(
        p.run(p.deadline(), || ()).await,
        Err(PoolError::Busy)
    ));
    release.send(()).unwrap();
}

#[tokio::test(start_paused = true)]
async fn when_overloaded_the_newest_waiter_is_served_first() {
    let p = pool(1, 8);
    let (release, running) = occupy(&p).await;
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let waiter = |name: &'static str| {
        let (p, order) = (p.clone(), order.clone());
        tokio::spawn(async move {
            let far = Instant::now() + Duration::from_secs(3600);
            p.run(far, move || order.lock().unwrap().push(name))
                .await
                .unwrap();
        })
    };
    // Under the overload threshold: first come, first served.
    let first = waiter("first");
    tokio::task::yield_now().await;
    let second = waiter("second");
    tokio::task::yield_now().await;
    // The oldest has now waited past the threshold: the newest goes first.
    tokio::time::advance(OVERLOAD_AFTER * 2).await;
    let newest = waiter("newest");
    tokio::task::yield_now().await;
    release.send(()).unwrap();
    running.await.unwrap();
    for w in [first, second, newest] {
        w.await.unwrap();
    }
    assert_eq!(*order.lock().unwrap(), ["newest", "second", "first"]);
}
