namespace NativeFree.Autograd;

/// <summary>
/// The switches of <see cref="GradMode"/> and <see cref="Anomaly"/>, in one <see cref="AsyncLocal{T}"/> so they
/// belong to the logical flow (an async method keeps them across <c>await</c>, whatever thread it resumes on;
/// tasks started inside a scope inherit it; other flows are unaffected). One int holds both, so an op reads
/// one async-local, not two. Each scope saves and restores only its own bit, so scopes of the two kinds
/// may interleave.
/// </summary>
internal static class AmbientModes
{
    public const int NoGrad = 1;
    public const int Anomaly = 2;

    private static readonly AsyncLocal<int> _flags = new();

    /// <summary>The current flags of this flow (0 by default: recording on, anomaly off).</summary>
    public static int Flags => _flags.Value;

    /// <summary>Sets or clears <paramref name="flag"/>; returns whether it was set before.</summary>
    public static bool Set(int flag, bool on)
    {
        int previous = _flags.Value;
        int next = on ? previous | flag : previous & ~flag;
        // An async-local write copies the execution context (~70 ns): skip it when nothing changes.
        if (next != previous) _flags.Value = next;
        return (previous & flag) != 0;
    }
}
