namespace NativeFree.Autograd;

/// <summary>
/// Whether operations record the graph. Recording is on by default; turn it off for inference and parameter
/// updates with <c>using (GradMode.NoGrad()) { … }</c>. The mode belongs to the logical flow of execution (an
/// <see cref="AsyncLocal{T}"/>), not to the thread: inside <c>using (GradMode.NoGrad())</c> an
/// <c>await</c> keeps recording off when the method resumes, on whatever thread; tasks started inside the scope
/// inherit it; and concurrent tasks or threads outside it keep their own mode.
/// </summary>
public static class GradMode
{
    /// <summary>True when operations on vars that require gradients are recorded (in this flow).</summary>
    public static bool IsEnabled => (AmbientModes.Flags & AmbientModes.NoGrad) == 0;

    /// <summary>Stops recording until the returned scope is disposed (scopes nest).</summary>
    public static Scope NoGrad() => Set(false);

    /// <summary>Turns recording on or off until the returned scope is disposed.</summary>
    public static Scope Set(bool enabled) => new(AmbientModes.Set(AmbientModes.NoGrad, !enabled));

    /// <summary>Restores the previous recording state when disposed (dispose it in the flow that opened it, e.g. with <c>using</c>).</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _previousDisabled;
        internal Scope(bool previousDisabled) => _previousDisabled = previousDisabled;
        /// <summary>Restores the state saved when the scope was opened.</summary>
        public void Dispose() => AmbientModes.Set(AmbientModes.NoGrad, _previousDisabled);
    }
}
