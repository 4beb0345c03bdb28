namespace Distill.TeacherServer.Onnx;

/// <summary>Values of the TopKPlacement option and the placement each gives.</summary>
public static class TopKPlacements
{
    /// <summary>Graph with a GPU execution provider, Host on the CPU.</summary>
    public const string Auto = "auto";

    public const string Graph = "graph";

    public const string Host = "host";

    /// <returns>Null for a value of the option (in any case), else what is wrong with it.</returns>
    public static string? Problem(string value) => value.ToLowerInvariant() is Auto or Graph or Host
        ? null
        : $"TopKPlacement must be '{Auto}', '{Graph}' or '{Host}', not '{value}'.";

    /// <exception cref="ArgumentException"><paramref name="value"/> is not one of the option's values.</exception>
    public static TopKPlacement Resolve(string value, string executionProvider) => value.ToLowerInvariant() switch
    {
        Graph => TopKPlacement.Graph,
        Host => TopKPlacement.Host,
        Auto => executionProvider == ExecutionProviders.Cpu ? TopKPlacement.Host : TopKPlacement.Graph,
        _ => throw new ArgumentException(Problem(value), nameof(value)),
    };
}
