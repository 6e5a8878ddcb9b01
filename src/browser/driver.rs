//! The one driver that runs any engine in the browser: a queue of inputs that is safe to
//! re-enter, timers it owns, and the engine's actions executed in order.
//!
//! An engine is a [`Machine`]; what its actions do in the browser is an [`Executor`].
//! Inputs that arrive while actions run (a browser callback fired synchronously, an
//! action that feeds the engine again) wait in the queue and are handled after the
//! current ones, in order, so the engine is never entered twice. Timers hold only a weak
//! reference: dropping the driver cancels them.

use crate::engine::vec_map::VecMap;
use gloo_timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

/// A sans-IO engine: inputs and the time in, actions out.
pub trait Machine: 'static {
    type Input: 'static;
    type Action: 'static;
    type Timer: Clone + Ord + 'static;
    fn handle(&mut self, now_ms: u64, input: Self::Input) -> Vec<Self::Action>;
    /// The input that reports `timer` firing.
    fn timer_input(timer: Self::Timer) -> Self::Input;
}

/// What an engine's actions do: the browser side of one kind of engine.
pub trait Executor<M: Machine>: Sized + 'static {
    fn execute(driver: &Rc<Driver<M, Self>>, action: M::Action);
}

enum Step<M: Machine> {
    Input(M::Input),
    Actions(Vec<M::Action>),
}

/// Runs the engine `M` with the browser state `X`.
pub struct Driver<M: Machine, X> {
    engine: RefCell<M>,
    /// The browser objects the executor works with.
    pub ctx: X,
    queue: RefCell<VecDeque<Step<M>>>,
    busy: Cell<bool>,
    timers: RefCell<VecMap<M::Timer, Timeout>>,
}

pub fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

impl<M: Machine, X: Executor<M>> Driver<M, X> {
    pub fn new(engine: M, ctx: X) -> Rc<Self> {
        Rc::new(Self {
            engine: RefCell::new(engine),
            ctx,
            queue: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            timers: RefCell::new(VecMap::new()),
        })
    }

    /// Feeds `input` (now, or after what is already queued) and executes the actions.
    pub fn handle(self: &Rc<Self>, input: M::Input) {
        self.queue.borrow_mut().push_back(Step::Input(input));
        self.pump();
    }

    /// Runs a command on the engine that answers with actions (or refuses with an
    /// error, which nothing executes); the actions run in order with everything else.
    pub fn command<E>(
        self: &Rc<Self>,
        f: impl FnOnce(&mut M) -> Result<Vec<M::Action>, E>,
    ) -> Result<(), E> {
        let actions = f(&mut self.engine.borrow_mut())?;
        self.queue.borrow_mut().push_back(Step::Actions(actions));
        self.pump();
        Ok(())
    }

    /// Changes the engine's settings (no input, no actions).
    pub fn update(&self, f: impl FnOnce(&mut M)) {
        f(&mut self.engine.borrow_mut());
    }

    /// Reads the engine's state.
    pub fn read<R>(&self, f: impl FnOnce(&M) -> R) -> R {
        f(&self.engine.borrow())
    }

    fn pump(self: &Rc<Self>) {
        if self.busy.replace(true) {
            return; // the running loop below takes it
        }
        loop {
            let next = self.queue.borrow_mut().pop_front();
            let actions = match next {
                None => break,
                Some(Step::Input(input)) => self.engine.borrow_mut().handle(now_ms(), input),
                Some(Step::Actions(actions)) => actions,
            };
            for action in actions {
                X::execute(self, action);
            }
        }
        self.busy.set(false);
    }

    /// Arms `timer` to fire at `at_ms` (replacing an armed one of the same key).
    pub fn schedule(self: &Rc<Self>, timer: M::Timer, at_ms: u64) {
        let weak = Rc::downgrade(self);
        let key = timer.clone();
        let delay = at_ms.saturating_sub(now_ms()).min(u32::MAX as u64) as u32;
        let timeout = Timeout::new(delay, move || {
            if let Some(driver) = weak.upgrade() {
                driver.timers.borrow_mut().remove(&key);
                driver.handle(M::timer_input(key));
            }
        });
        self.timers.borrow_mut().insert(timer, timeout);
    }

    pub fn cancel(&self, timer: &M::Timer) {
        self.timers.borrow_mut().remove(timer);
    }

    pub fn cancel_all(&self) {
        self.timers.borrow_mut().clear();
    }
}
