namespace NativeFree.Autograd;

/// <summary>
/// Whether operations record the graph on this thread. Recording is on by default; turn it off
/// for inference and parameter updates with <c>using (GradMode.NoGrad()) { … }</c>.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static bool _disabled;

    /// <summary>True when operations on vars that require gradients are recorded (this thread).</summary>
    public static bool IsEnabled => !_disabled;

    /// <summary>Stops recording until the returned scope is disposed (scopes nest).</summary>
    public static Scope NoGrad() => Set(false);

    /// <summary>Turns recording on or off until the returned scope is disposed.</summary>
    public static Scope Set(bool enabled)
    {
        var scope = new Scope(_disabled);
        _disabled = !enabled;
        return scope;
    }

    /// <summary>Restores the previous recording state when disposed.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly bool _previousDisabled;
        internal Scope(bool previousDisabled) => _previousDisabled = previousDisabled;
        /// <summary>Restores the state saved when the scope was opened.</summary>
        public void Dispose() => _disabled = _previousDisabled;
    }
}
