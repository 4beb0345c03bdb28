using Distill.StudentTrainer.Training;

namespace Distill.StudentTrainer.Distillation;

/// <summary>The command-line names of the divergences: fkl, rkl, js, tvd, skl, srkl, akl.</summary>
public static class DivergenceKindNames
{
    /// <summary>Every valid name, in the order of <see cref="DivergenceKind"/>.</summary>
    public static IReadOnlyList<string> All => EnumNames<DivergenceKind>.All;

    public static string ToName(DivergenceKind kind) => EnumNames<DivergenceKind>.ToName(kind);

    /// <summary>Case-insensitive; an unknown name throws an <see cref="ArgumentException"/> listing the valid ones.</summary>
    public static DivergenceKind Parse(string name) => EnumNames<DivergenceKind>.Parse(name, "divergence");
}
