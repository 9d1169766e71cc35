namespace NativeFree.Tensors.LinearAlgebra;

/// <summary>
/// A minimal fork-join team for GEMM: long-lived worker threads, each woken by its own semaphore,
/// run parts 1…P-1 of a job while the caller runs part 0. Unlike <c>Parallel.For</c> it allocates
/// nothing per call (the job is a function pointer and a pointer to the caller's stack frame, which
/// stays alive because the caller waits) and wakes exactly the threads it needs. Workers live for
/// the process, so their per-thread packing buffers are reused across calls. If the team is busy
/// (two threads calling GEMM at once) the caller simply runs every part itself.
/// </summary>
internal static unsafe class GemmThreads
{
    private sealed class Worker
    {
        public readonly SemaphoreSlim Go = new(0);
        public int Part;
    }

    private static readonly object s_gate = new();
    private static readonly ManualResetEventSlim s_done = new(false);
    private static Worker[] s_workers = [];
    private static delegate*<void*, int, void> s_body;
    private static void* s_context;
    private static int s_pending;
    private static Exception? s_error;

    /// <summary>Runs <c>body(context, part)</c> for part = 0…parts-1, in parallel when possible.</summary>
    public static void Run(int parts, delegate*<void*, int, void> body, void* context)
    {
        if (parts <= 1 || !Monitor.TryEnter(s_gate))
        {
            for (int p = 0; p < parts; p++) body(context, p);
            return;
        }
        try
        {
            EnsureWorkers(parts - 1);
            s_body = body;
            s_context = context;
            s_error = null;
            s_done.Reset();
            Volatile.Write(ref s_pending, parts - 1);
            for (int w = 0; w < parts - 1; w++)
            {
                s_workers[w].Part = w + 1;
                s_workers[w].Go.Release();
            }
            Exception? mine = null;
            try { body(context, 0); }
            catch (Exception e) { mine = e; }
            if (Volatile.Read(ref s_pending) != 0) s_done.Wait();
            if (mine is not null) throw mine;
            if (s_error is not null) throw new AggregateException("A GEMM worker thread failed.", s_error);
        }
        finally
        {
            s_body = null;
            s_context = null;
            Monitor.Exit(s_gate);
        }
    }

    private static void EnsureWorkers(int count)
    {
        if (s_workers.Length >= count) return;
        var workers = new Worker[count];
        Array.Copy(s_workers, workers, s_workers.Length);
        for (int i = s_workers.Length; i < count; i++)
        {
            var w = workers[i] = new Worker();
            var t = new Thread(() => Loop(w)) { IsBackground = true, Name = $"NativeFree GEMM worker {i + 1}" };
            t.Start();
        }
        s_workers = workers;
    }

    private static void Loop(Worker w)
    {
        while (true)
        {
            w.Go.Wait();
            try { s_body(s_context, w.Part); }
            catch (Exception e) { s_error = e; }
            if (Interlocked.Decrement(ref s_pending) == 0) s_done.Set();
        }
    }
}
