using System.Numerics;
using NativeFree.Tensors;

namespace NativeFree.Autograd;

/// <summary>
/// Anomaly mode: while enabled, every op's forward value and every gradient a rule produces is checked, and
/// the first NaN or ±Inf throws <see cref="AnomalyException"/> naming the op. Costs one pass over each tensor,
/// so it is off by default. Like <see cref="GradMode"/> the mode belongs to the logical flow (it survives
/// <c>await</c>, is inherited by tasks started inside the scope, and does not leak into other flows).
/// </summary>
public static class Anomaly
{
    // Set by the engine around a derivative rule, which runs synchronously on one thread, so thread-bound.
    [ThreadStatic] private static bool _inRule;

    // Inside a derivative rule the rule's own ops are not checked one by one: the rule's
    // results are, so a NaN is blamed on the op whose derivative produced it.
    internal static bool ChecksForward => IsEnabled && !_inRule;

    // The same test when the caller has already read the flags (one async-local read per op).
    internal static bool ChecksForwardGiven(int flags) => (flags & AmbientModes.Anomaly) != 0 && !_inRule;

    internal static bool EnterRule() { bool previous = _inRule; _inRule = true; return previous; }

    internal static void ExitRule(bool previous) => _inRule = previous;

    /// <summary>True while anomaly detection is on (in this flow).</summary>
    public static bool IsEnabled => (AmbientModes.Flags & AmbientModes.Anomaly) != 0;

    /// <summary>Turns anomaly detection on until the returned scope is disposed.</summary>
    public static Scope Detect() => new(AmbientModes.Set(AmbientModes.Anomaly, true));

    /// <summary>Restores the previous state when disposed (dispose it in the flow that opened it, e.g. with <c>using</c>).</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _previous;
        internal Scope(bool previous) => _previous = previous;
        /// <summary>Restores the state saved when the scope was opened.</summary>
        public void Dispose() => AmbientModes.Set(AmbientModes.Anomaly, _previous);
    }

    internal static void CheckForward<T>(string op, Tensor<T> value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bad = FirstNonFinite(value, out T v);
        if (bad >= 0)
            throw new AnomalyException(op, "forward",
                $"Anomaly: op '{op}' produced {v} in its forward value (element {bad} of shape {ShapeUtil.Format(value.Shape)}). Check the inputs of this op (e.g. log of ≤ 0, overflow in exp, division by zero).");
    }

    internal static void CheckBackward<T>(string op, int input, Tensor<T> grad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int bad = FirstNonFinite(grad, out T v);
        if (bad >= 0)
            throw new AnomalyException(op, "backward",
                $"Anomaly: the derivative rule of op '{op}' produced {v} in the gradient of input {input} (element {bad} of shape {ShapeUtil.Format(grad.Shape)}). The forward values were finite, so the derivative itself is undefined or overflowed here (e.g. sqrt at 0, log near 0).");
    }

    private static int FirstNonFinite<T>(Tensor<T> t, out T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var data = t.Contiguous().AsSpan();
        for (int i = 0; i < data.Length; i++)
            if (!T.IsFinite(data[i])) { value = data[i]; return i; }
        value = T.Zero;
        return -1;
    }
}

/// <summary>Thrown in anomaly mode at the first NaN/Inf; names the op and the phase (forward or backward).</summary>
public sealed class AnomalyException : ArithmeticException
{
    /// <summary>Creates the exception.</summary>
    public AnomalyException(string op, string phase, string message) : base(message)
    {
        Op = op;
        Phase = phase;
    }

    /// <summary>Name of the op that produced the non-finite value.</summary>
    public string Op { get; }

    /// <summary>"forward" or "backward".</summary>
    public string Phase { get; }
}
