namespace Distill.Bench.Server;

/// <summary>Placeholder until the ONNX exporter lands on main.</summary>
public static class RandomTeacherExport
{
    public static (string Folder, string Description) Export() =>
        throw new NotSupportedException("No exporter yet: pass --model <folder>.");
}
