namespace Distill.Shared.Data;

/// <summary>The three disjoint parts of a corpus. Every command reads the same split.</summary>
public enum CorpusSplit
{
    Train,
    Validation,
    Test,
}
