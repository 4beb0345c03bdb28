namespace Distill.StudentTrainer.Distillation;

/// <summary>The command-line names of the divergences: fkl, rkl, js, tvd, skl, srkl, akl.</summary>
public static class DivergenceKindNames
{
    /// <summary>Every valid name, in the order of <see cref="DivergenceKind"/>.</summary>
    public static IReadOnlyList<string> All { get; } = Enum.GetValues<DivergenceKind>().Select(ToName).ToArray();

    public static string ToName(DivergenceKind kind) =>
        Enum.IsDefined(kind)
            ? kind.ToString().ToLowerInvariant()
            : throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a divergence kind");

    /// <summary>Case-insensitive; an unknown name throws an <see cref="ArgumentException"/> listing the valid ones.</summary>
    public static DivergenceKind Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (DivergenceKind kind in Enum.GetValues<DivergenceKind>())
        {
            if (string.Equals(ToName(kind), name.Trim(), StringComparison.OrdinalIgnoreCase)) return kind;
        }
        throw new ArgumentException($"unknown divergence '{name}'; valid: {string.Join(", ", All)}", nameof(name));
    }
}
