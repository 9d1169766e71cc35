using NativeFree.Autograd;
using NativeFree.Tensors;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>
/// GradMode and Anomaly follow the async flow (AsyncLocal): they survive an await, whichever thread the method
/// resumes on, and do not leak into a concurrent task.
/// </summary>
public class AmbientModeTests
{
    private static Var<double> Leaf() => Var<double>.Parameter(Tensor.FromArray(new double[] { 1, 2 }, 2));

    [Fact]
    public async Task NoGrad_survives_await_and_does_not_leak_into_a_concurrent_task()
    {
        var x = Leaf();
        using var inside = new SemaphoreSlim(0);
        using var checkedOutside = new SemaphoreSlim(0);
        // Started before the scope, so it runs in a flow with recording on; it looks while the scope is open.
        var other = Task.Run(async () =>
        {
            await inside.WaitAsync();
            var recorded = (x * 2.0).RequiresGrad && GradMode.IsEnabled;
            checkedOutside.Release();
            return recorded;
        });
        using (GradMode.NoGrad())
        {
            await Task.Yield();
            Assert.False(GradMode.IsEnabled);
            inside.Release();
            await checkedOutside.WaitAsync();
            await Task.Delay(1);
            // Recording is still off after the awaits: the op makes a plain value.
            var y = x * 2.0;
            Assert.False(y.RequiresGrad);
            Assert.Null(y.Node);
        }
        Assert.True(await other, "a concurrent task outside the scope saw recording off");
        Assert.True(GradMode.IsEnabled);
        Assert.NotNull((x * 2.0).Node);
    }

    // Completed by a fresh thread, so an await on it with ConfigureAwait(false) resumes on that thread, whose
    // thread-statics know nothing of the caller's scope (used outside the test methods themselves, where
    // xUnit asks not to bypass its scheduler).
    private static Task OnAnotherThread()
    {
        var done = new TaskCompletionSource();
        new Thread(() => { Thread.Sleep(2); done.SetResult(); }).Start();
        return done.Task;
    }

    private static async Task<(bool AfterAwait, bool InChildTask)> RecordsInsideNoGradAcrossAwait(Var<double> x)
    {
        using (GradMode.NoGrad())
        {
            await OnAnotherThread().ConfigureAwait(false);
            bool after = (x * 3.0).RequiresGrad;
            bool child = await Task.Run(() => (x * 3.0).RequiresGrad).ConfigureAwait(false);   // a task started inside inherits the scope
            return (after, child);
        }
    }

    [Fact]
    public async Task NoGrad_resumed_on_another_thread_still_applies()
    {
        var x = Leaf();
        var (after, child) = await RecordsInsideNoGradAcrossAwait(x);
        Assert.False(after, "recording came back on after the await");
        Assert.False(child, "a task started inside the scope recorded");
        Assert.True((x * 3.0).RequiresGrad);   // the scope did not leak out of the async method
    }

    private static async Task<AnomalyException?> LogOfZeroAfterAwait(Var<double> x, SemaphoreSlim inside)
    {
        using (Anomaly.Detect())
        {
            await OnAnotherThread().ConfigureAwait(false);
            inside.Release();
            try { x.Log(); return null; }
            catch (AnomalyException e) { return e; }
        }
    }

    [Fact]
    public async Task Anomaly_mode_survives_await_and_does_not_leak_into_a_concurrent_task()
    {
        var x = Var<double>.Parameter(Tensor.FromArray(new double[] { 0, 1 }, 2));
        using var inside = new SemaphoreSlim(0);
        // Outside the scope log 0 = −∞ is allowed: this would throw if the mode leaked into this task.
        var other = Task.Run(async () => { await inside.WaitAsync(); x.Log(); return Anomaly.IsEnabled; });
        var e = await LogOfZeroAfterAwait(x, inside);
        Assert.NotNull(e);                  // log 0 was caught after the await
        Assert.Equal("log", e!.Op);
        Assert.False(await other, "a concurrent task outside the scope saw anomaly mode on");
        Assert.False(Anomaly.IsEnabled);
    }

    [Fact]
    public void Interleaved_grad_and_anomaly_scopes_each_restore_only_their_own_mode()
    {
        var grad = GradMode.NoGrad();
        var anomaly = Anomaly.Detect();
        grad.Dispose();                     // closed before the anomaly scope opened after it
        Assert.True(GradMode.IsEnabled);
        Assert.True(Anomaly.IsEnabled);
        anomaly.Dispose();
        Assert.False(Anomaly.IsEnabled);
        Assert.True(GradMode.IsEnabled);
    }
}
