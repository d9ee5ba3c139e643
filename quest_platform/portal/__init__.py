"""The student portal: the quest map, the stage player, and checkpoint screenshots."""
