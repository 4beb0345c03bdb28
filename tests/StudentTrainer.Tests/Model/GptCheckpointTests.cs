using Distill.StudentTrainer.Model;

namespace Distill.StudentTrainer.Tests.Model;

public sealed class GptCheckpointTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("distill-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Saved_model_loads_with_the_same_config_and_logits()
    {
        var config = TinyModels.Config with { Bias = false, Dropout = 0.1 };
        using var model = TinyModels.Create(config);
        GptCheckpoint.Save(model, _folder);
        using var loaded = GptCheckpoint.Load(_folder);
        Assert.Equal(config, loaded.Config);
        using var ids = TinyModels.RandomIds(2, 8, seed: 9);
        using var expected = model.Forward(ids);
        using var actual = loaded.Forward(ids);
        Assert.Equal(0.0, TinyModels.MaxAbsDiff(expected, actual));
    }

    [Fact]
    public void Missing_or_malformed_files_give_clear_errors()
    {
        Assert.Throws<FileNotFoundException>(() => GptCheckpoint.Load(_folder));
        File.WriteAllText(Path.Combine(_folder, GptCheckpoint.ConfigFile), "{ not json");
        Assert.Throws<InvalidDataException>(() => GptCheckpoint.Load(_folder));
        File.WriteAllText(Path.Combine(_folder, GptCheckpoint.ConfigFile), """{"vocab_size": 10, "n_embd": 30, "n_head": 4}""");
        Assert.Throws<ArgumentException>(() => GptCheckpoint.Load(_folder));
    }

    [Fact]
    public void The_default_student_file_in_models_is_the_student_configuration()
    {
        GptConfig fromFile = GptConfig.Resolve(Path.Combine(Export.RepoRoot.Path, "models", "default-student.json"));
        Assert.Equal(GptConfig.Student, fromFile);
        Assert.InRange(new Gpt(fromFile).ParameterCount, 1_000_000, 1_500_000);
    }

    [Fact]
    public void Unknown_configuration_names_are_refused()
    {
        Assert.Throws<ArgumentException>(() => GptConfig.Resolve("huge"));
        Assert.Same(GptConfig.Teacher, GptConfig.Resolve("Teacher"));
    }
}
