namespace Distill.TeacherServer.Tests.Support;

/// <summary>Tests that measure the process's managed heap run alone, not beside other test classes.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasurements
{
    public const string Name = "Memory measurements";
}
