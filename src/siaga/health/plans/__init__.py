"""Problems, needs and work plans per posyandu and kelurahan, with evidence from the indicators, budget lines, activities and innovations."""
