namespace Distill.TeacherServer.Tests.Support;

/// <summary>Model folders served by both top-k placements: the committed default teacher and a Llama-family ONNX fixture.</summary>
public static class PlacementTeachers
{
    public const string Austen = "austen";
    public const string Llama = "llama";

    /// <summary>The folder of <paramref name="name"/>: models/austen-gpt of the repository, or the fixture's.</summary>
    public static string Folder(string name) => name == Austen
        ? Path.Combine(RepositoryRoot(), "models", "austen-gpt")
        : HuggingFaceReference.TeacherFolder(name);

    /// <summary>Copies <paramref name="name"/>'s serving files into <paramref name="models"/>/<paramref name="name"/>.</summary>
    public static void Copy(string name, string models)
    {
        var destination = Path.Combine(models, name);
        Directory.CreateDirectory(destination);
        foreach (var file in Directory.GetFiles(Folder(name)).Where(f => Path.GetFileName(f) != "reference.json"))
        {
            File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
        }
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "Distill.sln")))
        {
            folder = folder.Parent;
        }
        return folder?.FullName ?? throw new DirectoryNotFoundException($"No Distill.sln above {AppContext.BaseDirectory}.");
    }
}
