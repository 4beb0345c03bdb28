using SkiaSharp;

namespace Distill.StudentTrainer.Tests.Evaluation;

/// <summary>The plots need SkiaSharp's and HarfBuzz's Linux native libraries beside the assemblies that use them.</summary>
public class SkiaNativeTests
{
    private static readonly string[] NativeLibraries = ["libSkiaSharp.so", "libHarfBuzzSharp.so"];

    [Fact]
    public void Native_libraries_are_in_the_test_output_folder_and_load()
    {
        foreach (string library in NativeLibraries)
        {
            Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, library)), $"{library} is missing from {AppContext.BaseDirectory}");
        }
        using var bitmap = new SKBitmap(2, 2);
        bitmap.SetPixel(1, 1, SKColors.Red);
        Assert.Equal(SKColors.Red, bitmap.GetPixel(1, 1));
    }

    [Fact]
    public void Native_libraries_are_in_the_student_trainer_output_folder()
    {
        // The trainer is built into StudentTrainer/<the same bin/… path as this test assembly's folder below its project>.
        string testOutput = AppContext.BaseDirectory;
        string testProject = testOutput;
        while (!File.Exists(Path.Combine(testProject, "StudentTrainer.Tests.csproj")))
        {
            testProject = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(testProject))
                ?? throw new DirectoryNotFoundException($"no StudentTrainer.Tests.csproj above {testOutput}");
        }
        string relativeOutput = Path.GetRelativePath(testProject, testOutput);
        string trainerOutput = Path.GetFullPath(Path.Combine(testProject, "..", "..", "StudentTrainer", relativeOutput));

        Assert.True(File.Exists(Path.Combine(trainerOutput, "Distill.StudentTrainer.dll")), $"no StudentTrainer build in {trainerOutput}");
        foreach (string library in NativeLibraries)
        {
            Assert.True(File.Exists(Path.Combine(trainerOutput, library)), $"{library} is missing from {trainerOutput}");
        }
    }
}
