namespace NativeFree.Cli;

/// <summary>One <c>nativefree</c> sub-command.</summary>
public interface ICommand
{
    /// <summary>The word that selects it, e.g. "bench".</summary>
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>Full help text, printed by <c>nativefree NAME --help</c>.</summary>
    string Help { get; }

    /// <summary>Runs with the words after the command name; returns the exit code.</summary>
    int Run(string[] args, TextWriter stdout);
}
